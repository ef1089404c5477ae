"""What people read: the report's blocks rendered as Markdown, HTML and PDF, its figures, and the compact matrix page
of a class.
"""
