from . import orderweb_order_report
