import { registry } from "@web/core/registry";
import { openRegister } from "@pos_orderweb/../tests/series_steps";
import { click } from "@pos_orderweb/../tests/common/tours/orderweb_tour_utils";

function rowShows(number, status, where = ".o_orderweb_list") {
    return {
        content: `${number} is there, ${status}`,
        trigger: `${where} .o_orderweb_row[data-number='${number}'] .o_orderweb_status:contains(${status})`,
    };
}

// The test closed yesterday's session with online orders not handed over (paid online, new
// and accepted) and an unpaid order for another day, then opened this one.
registry.category("web_tour.tours").add("pos_orderweb_session_end", {
    steps: () =>
        [
            ...openRegister(),
            click(".o_orderweb_navbar_button", "open the online orders"),
            rowShows("KIT-5201", "New"),
            rowShows("KIT-5202", "Accepted"),
            rowShows("KIT-5203", "Later", ".o_orderweb_later"),
            click(".o_orderweb_row[data-number='KIT-5201']", "open the new one"),
            click(".o_orderweb_detail .o_orderweb_accept", "accept it"),
            {
                content: "accepted in this session",
                trigger: ".o_orderweb_detail .o_orderweb_status:contains(Accepted)",
            },
        ].flat(),
});
