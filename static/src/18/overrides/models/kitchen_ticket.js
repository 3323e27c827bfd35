import { PosStore } from "@point_of_sale/app/store/pos_store";
import { _t } from "@web/core/l10n/translation";
import { patch } from "@web/core/utils/patch";

// 18.0: the kitchen ticket of a shop without kitchen printers (see orderwebPrintKitchenTicket).
patch(PosStore.prototype, {
    /** The whole online order as 18.0 prints an order change for the kitchen printers. */
    async orderwebRenderKitchenTicket(order) {
        // The lines as models/utils/order_change.js lists them (every line: a shop without
        // printers has no preparation categories to pick from).
        const lines = order.get_orderlines().map((line) => ({
            uuid: line.uuid,
            name: line.get_full_product_name(),
            display_name: line.product_id.display_name,
            isCombo: line.combo_item_id?.id,
            product_id: line.product_id.id,
            attribute_value_ids: line.attribute_value_ids,
            quantity: line.get_quantity(),
            note: line.getNote(),
        }));
        // A full receipt: it also prints the special instructions (the order's note).
        return await this.getRenderedReceipt(order, _t("New"), lines, true);
    },
});
