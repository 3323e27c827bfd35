"""What the POS screen and the backend read alike: the order type's words, the shop's time zone,
flagged rows in red; and an order for later accepted early on the cashier's word."""
from datetime import timedelta

from lxml import etree

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import OrderWebCommon, new_order


def iso(moment):
    return moment.strftime('%Y-%m-%dT%H:%M:%SZ')


@tagged('post_install', '-at_install')
class TestScreenWords(OrderWebCommon):

    def setUp(self):
        super().setUp()
        self.open_new_session()

    def test_the_order_type_reads_the_same_in_backend_and_pos(self):
        pickup = self.receive(new_order(orderType='pickup'))
        self.assertEqual(pickup.order_type_label, "Pickup")
        self.assertEqual(pickup.pos_order_id.orderweb_type_label, "Pickup", "the POS screens read this field")
        other = self.receive(new_order(orderType='curbside'))
        self.assertEqual(other.pos_order_id.orderweb_type_label, "curbside", "a type not known reads as sent")

    def test_the_screens_get_the_shops_time_zone(self):
        self.company.partner_id.tz = 'Europe/London'
        self.env.user.tz = 'America/New_York'
        self.assertEqual(self.config.orderweb_tz, 'Europe/London')
        self.company.partner_id.tz = False
        self.config.invalidate_recordset(['orderweb_tz'])
        self.assertEqual(self.config.orderweb_tz, 'America/New_York', "else the user's")

    def test_an_order_for_later_accepted_early(self):
        later = self.receive(new_order(scheduledFor=iso(fields.Datetime.now() + timedelta(hours=3)))).pos_order_id
        self.assertEqual(later.orderweb_status, 'scheduled')
        later.orderweb_accept(self.config.id)
        self.assertEqual(later.orderweb_status, 'accepted')
        self.assertTrue(later.orderweb_accepted_at)
        self.assertFalse(later.orderweb_sent_at, "its kitchen ticket is sent by the screen, as for any accepted order")
        flagged = self.receive(new_order(
            scheduledFor=iso(fields.Datetime.now() + timedelta(hours=3)), specialInstructions="peanut allergy",
        )).pos_order_id
        with self.assertRaises(UserError):
            flagged.orderweb_accept(self.config.id)
        self.assertEqual(flagged.orderweb_status, 'scheduled', "early too, its flags are acknowledged first")

    def test_flagged_rows_are_red_in_the_backend_lists(self):
        for model, flagged in (('pos.order', 'orderweb_flagged'), ('orderweb.order', 'flagged')):
            arch = etree.fromstring(self.env[model].get_views([(False, 'list')])['views']['list']['arch'])
            self.assertIn(flagged, arch.get('decoration-danger', ''), model)
            self.assertNotIn(flagged, arch.get('decoration-muted', '').replace(f'not {flagged}', ''), model)
