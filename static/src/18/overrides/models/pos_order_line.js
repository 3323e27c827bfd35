import { PosOrderline } from "@point_of_sale/app/models/pos_order_line";
import { patch } from "@web/core/utils/patch";

// 18.0: the orderline component shows display data, which now tells an add-on apart.
patch(PosOrderline.prototype, {
    getDisplayData() {
        const data = super.getDisplayData(...arguments);
        return {
            ...data,
            onlineOrderAddon: this.isOnlineOrderAddon,
            internalNote: this.orderwebNoteOnScreen(data.internalNote),
        };
    },
});
