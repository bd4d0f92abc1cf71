// Package markdown renders the Markdown subset of messages to safe HTML:
// paragraphs and line breaks, **bold**, *italic*, `code`, fenced code
// blocks, links (http, https and mailto only), bullet lists and
// @mentions. Everything else is text, HTML-escaped: the output holds no
// tag and no attribute the renderer did not write itself, so clients may
// insert it as HTML. It is a formatter for chat messages, not a
// CommonMark implementation: what it does not know stays as typed.
package markdown
