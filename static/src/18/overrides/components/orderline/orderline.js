import { Orderline } from "@point_of_sale/app/generic_components/orderline/orderline";
import { patch } from "@web/core/utils/patch";

// getDisplayData() now tells whether a line is an add-on of an online order item.
patch(Orderline, {
    props: {
        ...Orderline.props,
        line: {
            ...Orderline.props.line,
            shape: {
                ...Orderline.props.line.shape,
                onlineOrderAddon: { type: Boolean, optional: true },
            },
        },
    },
});
