package simulator

import (
	"encoding/json"
	"net"
	"net/http"
)

// apiError is Docusign's error body. The Admin API examples read errorCode and
// message, the specification error and error_description: both are sent.
type apiError struct {
	ErrorCode        string `json:"errorCode"`
	Message          string `json:"message"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// writeJSON answers status with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // a client gone away is not the server's error
}

// writeError answers status with an Admin API error body.
func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, apiError{
		ErrorCode: code, Message: message, Error: code, ErrorDescription: message,
	})
}

// oauthError is the OAuth server's error body.
type oauthError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
}

// notFoundPage is what Docusign's front end answers for an unknown path.
const notFoundPage = `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN"
 "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"/>
<title>404 - File or directory not found.</title>
</head>
<body>
<div id="header"><h1>Server Error</h1></div>
<div id="content">
 <div class="content-container"><fieldset>
  <h2>404 - File or directory not found.</h2>
  <h3>The resource you are looking for might have been removed, had its name changed,
  or is temporarily unavailable.</h3>
 </fieldset></div>
</div>
</body>
</html>
`

// badGatewayPage is what a gateway in front of the API answers when the
// service behind it fails.
const badGatewayPage = `<html>
<head><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
</body>
</html>
`

// writeHTML answers status with an HTML page.
func writeHTML(w http.ResponseWriter, status int, page string) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(page))
}

// cutConnection closes the client's connection without an answer, with a TCP
// reset where it can. Where the connection cannot be taken over (HTTP/2) it
// aborts the handler, which drops the stream unanswered.
func cutConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}
