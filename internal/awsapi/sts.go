package awsapi

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/iam"
	"github.com/wharf-dev/wharf/internal/service"
)

const stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"

// STS serves the STS query protocol: GetCallerIdentity, AssumeRole and
// AssumeRoleWithWebIdentity (the one STS call that comes unsigned: ServeUnsigned).
type STS struct {
	Log *slog.Logger
	// Sessions issues role sessions; nil serves GetCallerIdentity only.
	Sessions *iam.STS
	// Identities loads the caller's identity policies for AssumeRole.
	Identities service.IdentityLoader
	// OrgID answers aws:PrincipalOrgID in trust policies.
	OrgID string
}

type stsCredentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

type stsAssumedRoleUser struct {
	AssumedRoleID string `xml:"AssumedRoleId"`
	Arn           string `xml:"Arn"`
}

func stsCreds(c iam.Credentials) (stsCredentials, stsAssumedRoleUser) {
	return stsCredentials{c.AccessKeyID, c.SecretAccessKey, c.SessionToken, isoTime(c.Expiration)},
		stsAssumedRoleUser{c.AssumedRoleID, c.AssumedRoleARN}
}

// writeSTS writes an STS response document around result.
func (s *STS) writeSTS(w http.ResponseWriter, action string, result any) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	fmt.Fprintf(&buf, `<%sResponse xmlns="%s">`, action, stsNamespace)
	_ = xml.NewEncoder(&buf).EncodeElement(result, xml.StartElement{Name: xml.Name{Local: action + "Result"}})
	fmt.Fprintf(&buf, `<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>`, w.Header().Get("X-Amzn-RequestId"), action)
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write(buf.Bytes())
}

func (s *STS) writeErr(w http.ResponseWriter, r *http.Request, err error) {
	e := apperr.As(err)
	status := http.StatusBadRequest
	code := e.Reason
	switch e.Kind {
	case apperr.AccessDenied:
		status = http.StatusForbidden
	case apperr.NotFound:
		status = http.StatusNotFound
	case apperr.Validation:
		if code == "" {
			code = "ValidationError"
		}
	default:
		s.Log.ErrorContext(r.Context(), "internal error", "err", err)
		writeQueryError(w, r, s.Log, http.StatusInternalServerError, "InternalFailure", "An internal error occurred; the request id identifies it in wharf's log")
		return
	}
	if code == "" {
		code = "AccessDenied"
	}
	writeQueryError(w, r, s.Log, status, code, e.Message)
}

func durationParam(params url.Values) (int, error) {
	v := params.Get("DurationSeconds")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, apperr.New(apperr.Validation, "DurationSeconds must be a positive integer").WithReason("ValidationError")
	}
	return n, nil
}

// MaxUnsignedSTSBody bounds the form of an unsigned AssumeRoleWithWebIdentity.
const MaxUnsignedSTSBody = 64 << 10

// IsWebIdentityRequest reports whether an unsigned request is
// AssumeRoleWithWebIdentity (query string or form body), reading at most
// MaxUnsignedSTSBody of the body.
func IsWebIdentityRequest(r *http.Request) bool {
	if r.URL.Path != "/" {
		return false
	}
	if r.Body != nil {
		r.Body = http.MaxBytesReader(nil, r.Body, MaxUnsignedSTSBody)
	}
	params, err := queryParams(r)
	return err == nil && params.Get("Action") == "AssumeRoleWithWebIdentity"
}

// ServeUnsigned handles AssumeRoleWithWebIdentity, which carries no SigV4
// signature: the web identity token is the credential.
func (s *STS) ServeUnsigned(w http.ResponseWriter, r *http.Request) {
	params, err := queryParams(r)
	if err != nil || s.Sessions == nil {
		writeQueryError(w, r, s.Log, http.StatusBadRequest, "MalformedQueryString", "could not parse the request parameters")
		return
	}
	for _, n := range []string{"RoleArn", "RoleSessionName", "WebIdentityToken"} {
		if params.Get(n) == "" {
			writeQueryError(w, r, s.Log, http.StatusBadRequest, "ValidationError", "1 validation error detected: Value null at '"+lowerFirst(n)+"' failed to satisfy constraint: Member must not be null")
			return
		}
	}
	d, err := durationParam(params)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	creds, wi, err := s.Sessions.AssumeRoleWithWebIdentity(r.Context(), params.Get("RoleArn"), params.Get("RoleSessionName"), params.Get("WebIdentityToken"), d)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	c, u := stsCreds(creds)
	s.writeSTS(w, "AssumeRoleWithWebIdentity", struct {
		Credentials                 stsCredentials     `xml:"Credentials"`
		SubjectFromWebIdentityToken string             `xml:"SubjectFromWebIdentityToken"`
		AssumedRoleUser             stsAssumedRoleUser `xml:"AssumedRoleUser"`
		Provider                    string             `xml:"Provider"`
		Audience                    string             `xml:"Audience"`
	}{c, wi.Subject, u, wi.Provider, wi.Audience})
}

func (s *STS) assumeRole(w http.ResponseWriter, r *http.Request, c service.Caller, params url.Values) {
	if s.Sessions == nil || s.Identities == nil {
		writeQueryError(w, r, s.Log, http.StatusBadRequest, "InvalidAction", "AssumeRole is not available")
		return
	}
	for _, n := range []string{"RoleArn", "RoleSessionName"} {
		if params.Get(n) == "" {
			writeQueryError(w, r, s.Log, http.StatusBadRequest, "ValidationError", "1 validation error detected: Value null at '"+lowerFirst(n)+"' failed to satisfy constraint: Member must not be null")
			return
		}
	}
	d, err := durationParam(params)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	id, err := s.Identities(r.Context(), c.Principal, c.RoleARN, c.SessionTags)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	id.OrgID = s.OrgID
	tags := map[string]string{}
	for i := 1; ; i++ {
		k := params.Get(fmt.Sprintf("Tags.member.%d.Key", i))
		if k == "" {
			break
		}
		tags[k] = params.Get(fmt.Sprintf("Tags.member.%d.Value", i))
	}
	if len(tags) == 0 {
		tags = nil
	}
	creds, err := s.Sessions.AssumeRole(r.Context(), id, params.Get("RoleArn"), params.Get("RoleSessionName"), d, tags)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	cr, u := stsCreds(creds)
	s.writeSTS(w, "AssumeRole", struct {
		Credentials      stsCredentials     `xml:"Credentials"`
		AssumedRoleUser  stsAssumedRoleUser `xml:"AssumedRoleUser"`
		PackedPolicySize int                `xml:"PackedPolicySize,omitempty"`
	}{cr, u, 0})
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

// Serve handles a verified STS request from c.
func (s *STS) Serve(w http.ResponseWriter, r *http.Request, c service.Caller) {
	p := c.Principal
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
	case "AssumeRole":
		s.assumeRole(w, r, c, params)
	case "AssumeRoleWithWebIdentity":
		// Signed is fine too (the SDKs send it unsigned).
		s.ServeUnsigned(w, r)
	case "":
		writeQueryError(w, r, s.Log, http.StatusBadRequest, "MissingAction", "Action is required")
	default:
		writeQueryError(w, r, s.Log, http.StatusBadRequest, "InvalidAction", "wharf's STS serves GetCallerIdentity, AssumeRole and AssumeRoleWithWebIdentity; "+action+" is not supported")
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
