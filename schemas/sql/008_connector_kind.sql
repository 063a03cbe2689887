-- 008_connector_kind.sql - the connector kinds are listed once, in transmit/
-- (src/transmit/connectors.c): "liasse connector set" and the web settings
-- page refuse an unknown kind or key before anything is written.  The CHECKs
-- of 007 that repeated the list go; a kind is still a short lowercase name.

ALTER TABLE connector DROP CONSTRAINT IF EXISTS connector_kind_check;
ALTER TABLE connector ADD CONSTRAINT connector_kind_name CHECK (kind ~ '^[a-z0-9_]{1,32}$');

ALTER TABLE transmission DROP CONSTRAINT IF EXISTS transmission_connector_check;
ALTER TABLE transmission ADD CONSTRAINT transmission_connector_name CHECK (connector ~ '^[a-z0-9_]{1,32}$');
