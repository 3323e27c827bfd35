"""Constants of the Odoo side of pos_orderweb (the wire's own live in orderweb/const.py)."""

# Lifecycle of an online order on the POS screen, as the cashier moves it.
ORDERWEB_STATUSES = [
    ('new', "New"),
    ('accepted', "Accepted"),
    ('ready', "Ready"),
    ('done', "Done"),
]
