package awsapi

import (
	"encoding/xml"
	"log/slog"
	"mime"
	"net/http"
	"net/url"

	"github.com/wharf-dev/wharf/internal/model"
)

const stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"

// STS serves the STS query protocol: GetCallerIdentity.
type STS struct {
	Log *slog.Logger
}

type getCallerIdentityResponse struct {
	XMLName xml.Name `xml:"GetCallerIdentityResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Result  struct {
		Arn     string `xml:"Arn"`
		UserID  string `xml:"UserId"`
		Account string `xml:"Account"`
	} `xml:"GetCallerIdentityResult"`
	Metadata struct {
		RequestID string `xml:"RequestId"`
	} `xml:"ResponseMetadata"`
}

// queryParams merges the form body (any charset) and the query string.
func queryParams(r *http.Request) (url.Values, error) {
	v := r.URL.Query()
	if r.Method == http.MethodPost {
		ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if ct == "" || ct == "application/x-www-form-urlencoded" {
			if err := r.ParseForm(); err != nil {
				return nil, err
			}
			for k, vs := range r.PostForm {
				v[k] = vs
			}
		}
	}
	return v, nil
}

// Serve handles a verified STS request from p.
func (s *STS) Serve(w http.ResponseWriter, r *http.Request, p model.Principal) {
	params, err := queryParams(r)
	if err != nil {
		writeQueryError(w, r, s.Log, http.StatusBadRequest, "MalformedQueryString", "could not parse the request parameters")
		return
	}
	switch action := params.Get("Action"); action {
	case "GetCallerIdentity":
		var out getCallerIdentityResponse
		out.Xmlns = stsNamespace
		out.Result.Arn, out.Result.UserID, out.Result.Account = p.ARN, p.UserID, p.Account
		out.Metadata.RequestID = w.Header().Get("X-Amzn-RequestId")
		w.Header().Set("Content-Type", "text/xml")
		_, _ = w.Write([]byte(xml.Header))
		_ = xml.NewEncoder(w).Encode(out)
	case "":
		writeQueryError(w, r, s.Log, http.StatusBadRequest, "MissingAction", "Action is required")
	default:
		writeQueryError(w, r, s.Log, http.StatusBadRequest, "InvalidAction", "wharf's STS serves GetCallerIdentity only; "+action+" is not supported")
	}
}

// WriteAuthError writes an authentication failure in the protocol of the service
// the request was for: awsQuery XML for STS, json 1.1 for KMS, rest-json for
// everything else.
func WriteAuthError(w http.ResponseWriter, r *http.Request, log *slog.Logger, signingService string, err error, queryCode func(string) string) {
	if signingService == "kms" {
		writeKMSError(w, r, log, err)
		return
	}
	if signingService == "sts" {
		e := asError(err)
		code := e.Reason
		if queryCode != nil {
			code = queryCode(code)
		}
		writeQueryError(w, r, log, http.StatusForbidden, code, e.Message)
		return
	}
	writeError(w, r, log, err)
}
