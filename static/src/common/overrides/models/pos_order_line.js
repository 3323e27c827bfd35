import { PosOrderline } from "@point_of_sale/app/models/pos_order_line";
import { patch } from "@web/core/utils/patch";

patch(PosOrderline.prototype, {
    setup(vals) {
        super.setup(...arguments);
        // The POS renames every line after its product; an online item may sit on a
        // generic product and add-ons are named "+ …": keep the name the order came with.
        if (vals.full_product_name && this.order_id?.isOnlineOrder) {
            this.full_product_name = vals.full_product_name;
        }
    },
    /** An add-on line of an online order: shown nested under the item it belongs to. */
    get isOnlineOrderAddon() {
        return Boolean(this.orderweb_item_line_uuid);
    },
});
