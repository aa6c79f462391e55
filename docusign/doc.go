// Package docusign is the client of Docusign's Admin API for account cloning.
//
// It authenticates with the JWT grant (or a ready access token), sends the
// four cloning calls and the organization list, decodes both error shapes of
// the API into *Error with a class and a hint, retries what is safe to retry,
// and keeps every call of a run inside one shared rate Budget. A POST that may
// have reached Docusign is never sent twice: its error says whether the clone
// was certainly not sent (ErrNotSent), refused (*Error) or possibly created
// (ErrOutcomeUnknown). No token, assertion or key ever reaches a log line, an
// error or the HTTP trace.
package docusign
