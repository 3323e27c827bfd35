import { registry } from "@web/core/registry";
import { openRegister } from "@pos_orderweb/../tests/series_steps";
import { click, statusIs } from "@pos_orderweb/../tests/common/tours/orderweb_tour_utils";

/** A card's text at ``selector`` shows ``expected`` and not ``unexpected`` (regular expressions). */
function cardShows(selector, expected, unexpected, content) {
    return {
        content,
        trigger: selector,
        run: () => {
            const text = document.querySelector(selector).textContent;
            if (!expected.test(text) || (unexpected && unexpected.test(text))) {
                throw new Error(`${content}: "${text}"`);
            }
        },
    };
}

registry.category("web_tour.tours").add("pos_orderweb_busy_evening", {
    steps: () =>
        [
            {
                content: "the device is set to New York time (the shop is in London)",
                trigger: "body",
                run: () => {
                    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
                    if (zone !== "America/New_York") {
                        throw new Error(`The browser runs in ${zone}.`);
                    }
                },
            },
            ...openRegister(),
            // KIT-5201 rang on opening; the test now receives KIT-5203, KIT-5204 and KIT-5205.
            {
                content: "one alert for the four orders, naming three",
                trigger: ".o_orderweb_notification:contains(4 new online orders):contains(and 1 more)",
                run: () => {
                    const alerts = document.querySelectorAll(".o_orderweb_notification").length;
                    if (alerts !== 1) {
                        throw new Error(`${alerts} online order alerts are shown.`);
                    }
                },
            },
            click(".o_orderweb_notification .o_notification_buttons button:contains(Open)", "open them"),
            {
                content: "acknowledged: the alert is gone",
                trigger: "body:not(:has(.o_orderweb_notification))",
            },
            {
                content: "the card of KIT-5201 shows it has waited two hours",
                trigger: ".o_orderweb_row[data-number='KIT-5201'] .o_orderweb_age:contains(2 h)",
            },
            {
                content: "the card of KIT-5205 shows it has waited minutes",
                trigger: ".o_orderweb_row[data-number='KIT-5205'] .o_orderweb_age:contains(min)",
            },
            // Tomorrow 18:36 in London (13:36 in New York), 20 preparation minutes.
            cardShows(
                ".o_orderweb_later .o_orderweb_row[data-number='KIT-5202'] .o_orderweb_scheduled",
                /\b(18|6):36\b/,
                /\b(13|1):36\b/,
                "the order for later shows its time in the shop's time zone"
            ),
            cardShows(
                ".o_orderweb_later .o_orderweb_row[data-number='KIT-5202'] .o_orderweb_fires",
                /\b(18|6):16\b/,
                null,
                "and when it fires, in the shop's time zone"
            ),
            click(".o_orderweb_later .o_orderweb_row[data-number='KIT-5202']", "open it"),
            click(".o_orderweb_detail .o_orderweb_accept_early", "accept it early"),
            click(".modal:contains(Accept KIT-5202 now?) .modal-footer .btn-primary", "on purpose"),
            statusIs("Accepted"),
            {
                content: "it waits with the orders to make",
                trigger: ".o_orderweb_list:not(:has(.o_orderweb_later [data-number='KIT-5202']))",
            },
        ].flat(),
});
