"""OrderWeb wire layer: order parsing, pull client, WebSocket listener, local stand-in.

Pure Python, importing nothing from Odoo, so it is tested and reused anywhere.
"""
