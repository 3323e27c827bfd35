/** @odoo-module alias=@pos_orderweb/../tests/series_steps default=false */
// Odoo 19.0's side of the tours (static/tests/common imports it as "@pos_orderweb/../tests/series_steps"):
// Odoo's tour helpers where 19.0 keeps them, and the steps 19.0 takes otherwise.
import * as Chrome from "@point_of_sale/../tests/pos/tours/utils/chrome_util";
import * as Dialog from "@point_of_sale/../tests/generic_helpers/dialog_util";
import * as PaymentScreen from "@point_of_sale/../tests/pos/tours/utils/payment_screen_util";
import * as ReceiptScreen from "@point_of_sale/../tests/pos/tours/utils/receipt_screen_util";
import { negate } from "@point_of_sale/../tests/generic_helpers/utils";

export { Chrome, PaymentScreen, ReceiptScreen, negate };

export function openRegister() {
    return [Chrome.startPoS(), Dialog.confirm("Open Register")];
}

export function openOrderList() {
    return Chrome.clickOrders();
}

/** The kitchen ticket of the order's lines, as the order printers would get it. */
export async function renderKitchenTicket(pos, order) {
    // Looked up at run time: this file is also loaded by backend pages, where the POS
    // modules are absent and a static import would break every backend tour.
    const { renderToElement } = odoo.loader.modules.get("@web/core/utils/render");
    const data = pos.getOrderData(order, false);
    // The lines as the POS lists its changes (models/utils/order_change.js).
    data.changes = {
        title: "NEW",
        data: order.lines.map((line) => ({
            uuid: line.uuid,
            name: line.getFullProductName(),
            basic_name: line.product_id.name,
            quantity: line.qty,
            customer_note: line.customer_note,
        })),
    };
    return renderToElement("point_of_sale.OrderChangeReceipt", { data });
}
