"""The one exception type for a user's mistake: the CLI prints it as one line and exits 2."""


class UserError(ValueError):
    """Bad input from a person (details, arguments, files they pointed at); never a bug."""
