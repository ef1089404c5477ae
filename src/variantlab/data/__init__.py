"""The real datasets: found, verified by their content, loaded, cut to a variant's classes, augmented and batched on
the device.
"""
