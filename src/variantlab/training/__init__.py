"""Training a variant's models: the profiles (every number), the models, the one fit loop, evaluation, checkpoints,
export, a run's typed results, and the baselines a result is judged against.
"""
