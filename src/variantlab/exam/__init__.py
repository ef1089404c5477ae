"""The exam itself: a student's details, the rule table that derives their variant, and what is known of each dataset
without its files.
"""
