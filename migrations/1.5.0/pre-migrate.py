"""1.5.0: an online order's time of import is named as it is labelled: processed_at becomes imported_at."""


def migrate(cr, version):
    # Before the registry loads the new field: a rename keeps the times (a new column would be empty).
    cr.execute("""SELECT 1 FROM information_schema.columns
                   WHERE table_name = 'orderweb_order' AND column_name = 'processed_at'""")
    if cr.fetchone():
        cr.execute("ALTER TABLE orderweb_order RENAME COLUMN processed_at TO imported_at")
        # The field's record and its xml id follow: else the update would drop the old field's
        # record as obsolete, and its column with it.
        cr.execute("""UPDATE ir_model_fields SET name = 'imported_at'
                       WHERE model = 'orderweb.order' AND name = 'processed_at'""")
        cr.execute("""UPDATE ir_model_data SET name = 'field_orderweb_order__imported_at'
                       WHERE module = 'pos_orderweb' AND model = 'ir.model.fields'
                         AND name = 'field_orderweb_order__processed_at'""")
