"""The exceptions the command line turns into one clear line instead of a traceback."""

from pathlib import Path


class UserError(ValueError):
    """Bad input from a person (details, arguments, files they pointed at); never a bug. Exit 2.
    Always one line: a library's multi-line message quoted in it is folded."""

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; training stopped before the bad weights were saved. Exit 1."""

    def __init__(self, epoch: int, step: int, value: float):
        super().__init__(epoch, step, value)
        self.epoch, self.step, self.value = epoch, step, value
        self.label = "model"
        self.checkpoint: Path | None = None

    def __str__(self) -> str:
        kept = (f"the last good checkpoint ({self.checkpoint}, end of epoch {self.epoch - 1}) is kept"
                if self.checkpoint else "no epoch had finished, so there is no checkpoint")
        return (f"{self.label}: the training loss became {self.value} at epoch {self.epoch}, step {self.step}; "
                f"training stopped and {kept}. A lower learning rate or fp32 (--set precision=fp32) may help")
