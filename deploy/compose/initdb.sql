-- One database per campus service (run once by PostgreSQL's image on an
-- empty volume); campus migrate creates the tables.
CREATE DATABASE identity;
CREATE DATABASE study;
CREATE DATABASE messages;
CREATE DATABASE portal;
