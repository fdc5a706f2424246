"""`dq serve`: the approvers' web inbox (app.py) and its Jinja2 pages (templates/)."""
