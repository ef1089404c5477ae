"""Checking and marking submissions: reading them (never running them), the code's and the text's reading, verdicts and
claims, a class's grading sheet, the rubric, feedback and gradebook exports.
"""
