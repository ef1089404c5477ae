"""Profiles and overrides: every number in one place, bad overrides refused."""

import pytest

from variantlab.errors import UserError
from variantlab.training.config import PROFILES, REASONS, Profile, get_profile, override


def test_faithful_is_the_reference_protocol():
    p = get_profile("faithful")
    assert (p.augmentation, p.random_noise, p.noise_strength, p.noise_clip) == ("static", "normal", 1.0, False)
    assert (p.remap_labels, p.precision, p.ae_output, p.ae_classifier_mode) == (False, "fp32", "relu", "scratch")
    assert (p.cnn_kernel, p.cnn_padding, p.cnn_pools) == (5, 1, "last")
    for model in (p.cnn, p.autoencoder, p.ae_classifier):
        assert (model.epochs, model.batch_size, model.optimizer, model.lr, model.schedule) == (
            15, 100, "adam", 0.001, "constant")


def test_every_setting_has_a_reason():
    for name, profile in PROFILES.items():
        assert set(REASONS[name]) == set(profile.to_dict()) - {"name"}


def test_overrides_are_typed():
    p = override(get_profile("fast"), {"cnn.lr": "0.01", "epochs": "2", "noise_clip": "false", "val_fraction": 0})
    assert p.cnn.lr == 0.01 and p.noise_clip is False and p.val_fraction == 0.0
    assert p.cnn.epochs == p.autoencoder.epochs == p.ae_classifier.epochs == 2
    assert Profile.from_dict(p.to_dict()) == p


@pytest.mark.parametrize("changes,fragment", [
    ({"cnn.lrr": "1"}, "unknown setting 'cnn.lrr'"), ({"name": "x"}, "unknown setting 'name'"),
    ({"cnn.epochs": "two"}, "'two' is not a valid int"), ({"cnn.epochs": "2.5"}, "is not a valid int"),
    ({"noise_clip": "maybe"}, "is not a valid bool"), ({"precision": "fp8"}, "is not one of: fp32, bf16"),
    ({"epochs": 0}, "must be at least 1"), ({"ae_classifier.optimizer": "sgd"}, "is not one of: adam, adamw"),
    ({"augmentation": "static"}, "ae_denoise needs augmentation=online"),
    ({"cnn_pools": "first"}, "cnn_pools='first' is not one of: last, spread"),
    ({"cnn_kernel": 0}, "cnn_kernel 0 must be at least 1"), ({"cnn_padding": -1}, "cnn_padding -1 at least 0"),
])
def test_bad_overrides_are_refused(changes, fragment):
    with pytest.raises(UserError, match=fragment):
        override(get_profile("fast"), changes)


def test_unknown_profile():
    with pytest.raises(UserError, match="profile 'quick' is not one of: faithful, fast"):
        get_profile("quick")
