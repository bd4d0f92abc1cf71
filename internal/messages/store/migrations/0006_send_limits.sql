-- How fast each person sends (messages.SendLimit): the theoretical arrival
-- time of their next message, in Unix nanoseconds (GCRA, as identity's
-- rate_limits). A row that is full again (tat in the past) is the same as
-- none and is deleted by housekeeping.
CREATE TABLE send_limits (
	subject TEXT PRIMARY KEY,
	tat     BIGINT NOT NULL
);
