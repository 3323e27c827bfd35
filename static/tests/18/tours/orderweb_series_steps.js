/** @odoo-module alias=@pos_orderweb/../tests/series_steps default=false */
// Odoo 18.0's side of the tours (static/tests/common imports it as "@pos_orderweb/../tests/series_steps"):
// Odoo's tour helpers where 18.0 keeps them, and the steps 18.0 takes otherwise.
import * as Chrome from "@point_of_sale/../tests/tours/utils/chrome_util";
import * as Dialog from "@point_of_sale/../tests/tours/utils/dialog_util";
import * as PaymentScreen from "@point_of_sale/../tests/tours/utils/payment_screen_util";
import * as ReceiptScreen from "@point_of_sale/../tests/tours/utils/receipt_screen_util";
import { negate } from "@point_of_sale/../tests/tours/utils/common";

export { Chrome, PaymentScreen, ReceiptScreen, negate };

export function openRegister() {
    return [Chrome.startPoS(), Dialog.confirm("Open Register")];
}

export function openOrderList() {
    return Chrome.clickMenuOption("Orders");
}

/** The kitchen ticket the order printers would get of ``order``, as the POS builds it. */
export async function renderKitchenTicket(pos, order) {
    // Looked up at run time: this file is also loaded by backend pages, where the POS
    // modules are absent and a static import would break every backend tour.
    const { changesToOrder } = odoo.loader.modules.get("@point_of_sale/app/models/utils/order_change");
    const changes = changesToOrder(order, false, pos.orderPreparationCategories);
    return await pos.getRenderedReceipt(order, "New", changes.new, true);
}
