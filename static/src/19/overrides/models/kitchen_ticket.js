import { PosStore } from "@point_of_sale/app/services/pos_store";
import { _t } from "@web/core/l10n/translation";
import { patch } from "@web/core/utils/patch";
import { renderToElement } from "@web/core/utils/render";

// 19.0: the kitchen ticket of a shop without kitchen printers (see orderwebPrintKitchenTicket).
patch(PosStore.prototype, {
    /** The whole online order as 19.0 prints an order change for the kitchen printers. */
    async orderwebRenderKitchenTicket(order) {
        const data = this.getOrderData(order, false);
        // The lines as models/utils/order_change.js lists them (every line: a shop without
        // printers has no preparation categories to pick from).
        data.changes = {
            title: _t("NEW"),
            data: order.getOrderlines().map((line) => ({
                uuid: line.uuid,
                name: line.getFullProductName(),
                basic_name: line.getProduct().name,
                isCombo: line.combo_item_id?.id,
                product_id: line.getProduct().id,
                attribute_value_names: line.attribute_value_ids.map((value) => value.name),
                quantity: line.getQuantity(),
                note: this.getStrNotes(line.getNote()),
                customer_note: line.getCustomerNote(),
            })),
        };
        return renderToElement("point_of_sale.OrderChangeReceipt", {
            data: await this.prepareReceiptGroupedData(data),
        });
    },
});
