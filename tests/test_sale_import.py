from odoo.tests import tagged

from .common import OrderWebCommon, new_order


@tagged('post_install', '-at_install')
class TestSaleImport(OrderWebCommon):

    def test_sale_order_with_lines_reference_and_date(self):
        self.company.write({'orderweb_target': 'sale', 'orderweb_sale_confirm': True})
        sample = self.sample('KIT-3763')
        sample['scheduledFor'] = '2025-11-21T12:30:00Z'
        online_order = self.receive(sample)
        sale = online_order.sale_order_id
        self.assertEqual(online_order.state, 'done', online_order.error)
        self.assertEqual(sale.state, 'sale')
        self.assertEqual(sale.client_order_ref, 'KIT-3763')
        self.assertEqual(str(sale.commitment_date), '2025-11-21 12:30:00')
        self.assertIn('Extra sauce please', str(sale.note))
        self.assertAlmostEqual(sale.amount_total, 40.00)
        self.assertTrue(any('Extra cheese' in line.name for line in sale.order_line))

    def test_quotation_when_not_confirming(self):
        self.company.write({'orderweb_target': 'sale', 'orderweb_sale_confirm': False})
        online_order = self.receive(new_order(customerName=None, customerPhone=None))
        self.assertEqual(online_order.sale_order_id.state, 'draft')
        self.assertEqual(online_order.sale_order_id.partner_id, self.env.ref('pos_orderweb.partner_orderweb_guest'))

    def test_instructions_are_text_after_the_default_terms(self):
        self.env['ir.config_parameter'].set_param('account.use_invoice_terms', True)
        self.company.write({'orderweb_target': 'sale', 'orderweb_sale_confirm': False,
                            'terms_type': 'plain', 'invoice_terms': 'Payment within 30 days'})
        instructions = ("<NO PEANUTS - severe allergy>\nRing twice "
                        "<img src=\"https://t.example/p.gif\"> <a href=\"https://evil.example\">menu</a>")
        note = str(self.receive(new_order(specialInstructions=instructions)).sale_order_id.note)
        self.assertIn('Payment within 30 days', note)
        self.assertIn('&lt;NO PEANUTS - severe allergy&gt;', note)
        self.assertIn('<br>Ring twice', note.replace('<br/>', '<br>'))
        self.assertNotIn('<img', note)
        self.assertNotIn('<a ', note)
        self.assertLess(note.index('Payment within 30 days'), note.index('NO PEANUTS'))
        plain = self.receive(new_order()).sale_order_id.note
        self.assertIn('Payment within 30 days', str(plain), "no instructions keeps the default terms")
