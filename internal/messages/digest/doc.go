// Package digest mails people who left messages unread for a while one
// reminder (the digest): how many, in which conversations, with a link to
// the messages page. The messages service knows people by subject id
// only, so identity writes the mail (people.Mailer). The job runs every
// minute on one replica at a time (the store's lease). It does not decide
// what is unread (the store does) nor compose the mail's frame (identity
// does).
package digest
