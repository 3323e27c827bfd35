import { Orderline } from "@point_of_sale/app/generic_components/orderline/orderline";

// getDisplayData() now tells whether a line is an add-on of an online order item.
Orderline.props.line.shape.orderwebAddon = { type: Boolean, optional: true };
