"""A class at once: the roster, and the sweep that trains every student's variant on Ray."""
