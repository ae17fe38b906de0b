package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
)

// DetailType is the one detail-type CodeArtifact sends to EventBridge.
const DetailType = "CodeArtifact Package Version State Change"

// Event is CodeArtifact's EventBridge event envelope.
type Event struct {
	Version    string      `json:"version"`
	ID         string      `json:"id"`
	DetailType string      `json:"detail-type"`
	Source     string      `json:"source"`
	Account    string      `json:"account"`
	Time       string      `json:"time"`
	Region     string      `json:"region"`
	Resources  []string    `json:"resources"`
	Detail     EventDetail `json:"detail"`
}

// EventDetail is the detail of a package version state change, field for
// field as CodeArtifact sends it.
type EventDetail struct {
	DomainOwner            string       `json:"domainOwner"`
	DomainName             string       `json:"domainName"`
	RepositoryName         string       `json:"repositoryName"`
	PackageFormat          string       `json:"packageFormat"`
	PackageNamespace       *string      `json:"packageNamespace"`
	PackageName            string       `json:"packageName"`
	PackageVersion         string       `json:"packageVersion"`
	PackageVersionState    string       `json:"packageVersionState"`
	PackageVersionRevision string       `json:"packageVersionRevision"`
	Changes                EventChanges `json:"changes"`
	OperationType          string       `json:"operationType"`
	SequenceNumber         int64        `json:"sequenceNumber"`
	EventDeduplicationID   string       `json:"eventDeduplicationId"`
}

// EventChanges counts what changed.
type EventChanges struct {
	AssetsAdded     int  `json:"assetsAdded"`
	AssetsRemoved   int  `json:"assetsRemoved"`
	AssetsUpdated   int  `json:"assetsUpdated"`
	MetadataUpdated bool `json:"metadataUpdated"`
	StatusChanged   bool `json:"statusChanged"`
}

// NewEvent builds the event of an audit record that is a package version
// state change. Its id and eventDeduplicationId derive from the record, so a
// redelivery carries the same ones and a receiver can drop duplicates.
func NewEvent(r model.AuditRecord, region string) Event {
	sum := sha256.Sum256([]byte(r.DomainOwner + "/" + r.DomainName + "/" + strconv.FormatInt(r.ID, 10) + "/" + r.Time.UTC().Format(time.RFC3339Nano)))
	h := hex.EncodeToString(sum[:16])
	id := h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
	var ns *string
	if r.Namespace != "" {
		n := r.Namespace
		ns = &n
	}
	ch := EventChanges{StatusChanged: r.Detail.PreviousStatus != r.Detail.Status}
	switch r.Detail.OperationType {
	case model.OpCreated:
		ch.AssetsAdded, ch.MetadataUpdated, ch.StatusChanged = len(r.Detail.Assets), true, true
	case model.OpUpdated:
		ch.AssetsAdded = r.Detail.AssetsAdded
		ch.MetadataUpdated = r.Action == model.AuditUpdate
	case model.OpDeleted:
		ch.StatusChanged = true
	}
	arn := "arn:aws:codeartifact:" + region + ":" + r.DomainOwner + ":package/" + r.DomainName + "/" + r.Repository + "/" +
		string(r.Format) + "/" + r.Namespace + "/" + r.Package
	return Event{
		Version: "0", ID: id, DetailType: DetailType, Source: "aws.codeartifact", Account: r.DomainOwner,
		Time: r.Time.UTC().Format(time.RFC3339), Region: region, Resources: []string{arn},
		Detail: EventDetail{
			DomainOwner: r.DomainOwner, DomainName: r.DomainName, RepositoryName: r.Repository,
			PackageFormat: string(r.Format), PackageNamespace: ns, PackageName: r.Package, PackageVersion: r.Version,
			PackageVersionState: r.Detail.Status, PackageVersionRevision: r.Detail.Revision, Changes: ch,
			OperationType: r.Detail.OperationType, SequenceNumber: r.ID, EventDeduplicationID: h,
		},
	}
}

// Marshal encodes an event.
func (e Event) Marshal() []byte {
	b, _ := json.Marshal(e)
	return b
}
