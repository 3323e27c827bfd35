-- a copy of the database (staging, test) must not take the production restaurant's orders
UPDATE res_company
   SET orderweb_enabled = false
 WHERE orderweb_enabled;
