import { PosOrderline } from "@point_of_sale/app/models/pos_order_line";
import { _t } from "@web/core/l10n/translation";
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
    /**
     * The first line the import writes in an item's note (prepared.py), "With: Extra cheese,
     * Jalapeños ×2": what the kitchen ticket shows of the add-ons, which leaves their lines off.
     */
    get orderwebAddonSummary() {
        const addons = (this.order_id?.lines || []).filter((l) => l.orderweb_item_line_uuid === this.uuid);
        if (!addons.length) {
            return "";
        }
        const names = addons.map((addon) => {
            const name = addon.full_product_name.replace(/^\+ /, "");
            const perItem = addon.qty / this.qty;
            return perItem === 1 ? name : `${name} ×${perItem}`;
        });
        return _t("With: %(addons)s", { addons: names.join(", ") });
    },
    /**
     * ``note`` (the item's) as the screen and the receipt show it: there the add-ons are their
     * own priced lines under the item, so once is enough. Only the exact summary is left out.
     */
    orderwebNoteOnScreen(note) {
        const summary = this.orderwebAddonSummary;
        const [first, ...others] = (note || "").split("\n");
        return summary && first === summary ? others.join("\n") : note;
    },
});
