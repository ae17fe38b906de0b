// Package policy parses, validates and evaluates IAM resource policies as
// CodeArtifact attaches them to domains and repositories. It is pure: no I/O,
// no clock, no store. Documents are stored verbatim by callers; Parse only
// checks them and builds an evaluable form.
//
// # Validation (Parse)
//
// Parse accepts what AWS accepts for a CodeArtifact resource policy, and says
// which field is wrong when it does not:
//
//   - 1..7168 characters (the PolicyDocument shape), valid UTF-8, no control
//     characters other than whitespace (the shape's [\P{C}\s]+ pattern);
//   - one JSON object, no duplicate keys at any level, no unknown elements
//     (top level: Version, Id, Statement; statement: Sid, Effect, Principal,
//     NotPrincipal, Action, NotAction, Resource, NotResource, Condition).
//     Element names are case-sensitive, as in IAM;
//   - Version, when present, is "2012-10-17" or "2008-10-17". A missing Version
//     is accepted, as IAM does (it then means the old 2008 grammar, which only
//     differs by not expanding policy variables; wharf expands none anyway);
//   - Statement is one object or a non-empty array of them;
//   - Sid is optional, alphanumeric, unique within the document. An empty Sid
//     ("Sid": "", which older Terraform aws_iam_policy_document emitted) is
//     accepted and not counted as a duplicate;
//   - Effect is "Allow" or "Deny";
//   - exactly one of Action / NotAction: a string or a non-empty array of
//     strings, each "*" or "service:Pattern" ("?" and "*" wildcards);
//   - exactly one of Principal / NotPrincipal (a resource policy must name
//     who it applies to): "*" or an object with AWS, Service, Federated or
//     CanonicalUser, each a string or non-empty array. AWS values are "*", a
//     12-digit account id, or an IAM/STS ARN naming an account (":root"), a
//     user, role, assumed-role session or federated user, without wildcards;
//   - Resource / NotResource optional (absent means "the resource this policy is
//     attached to"), at most one of them; each value "*" or an ARN pattern;
//   - Condition optional: operator -> {key -> string | number | bool | array}.
//     Operators must be IAM operator names (optionally ForAnyValue:/ForAllValues:
//     prefixed and/or IfExists suffixed).
//
// Terraform's aws_iam_policy_document output (sorted keys, single values as
// strings, lists as arrays) parses unchanged.
//
// # Evaluation (Policy.Evaluate)
//
// A statement applies to a request when its principal, action, resource and
// condition blocks all match. Explicit Deny in any applying statement wins;
// otherwise any applying Allow gives Allow; otherwise NotApplicable.
//
//   - Actions match case-insensitively with "*" and "?" wildcards.
//   - Resources match case-sensitively with "*" and "?" wildcards.
//   - Principal "*" (or {"AWS":"*"}) matches anyone. An account id or
//     arn:aws:iam::ACCOUNT:root matches every principal of that account. Any
//     other ARN matches exactly; a role ARN also matches that role's
//     assumed-role sessions (arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION).
//     Service, Federated and CanonicalUser principals never match a wharf
//     caller (wharf callers are always IAM-style principals).
//   - Conditions: every operator block must hold, every key in a block must
//     hold, any one of a key's values suffices (for negated operators: none may
//     match). Implemented: String{Equals,NotEquals,EqualsIgnoreCase,
//     NotEqualsIgnoreCase,Like,NotLike}, Arn{Equals,NotEquals,Like,NotLike},
//     Bool, Null, Numeric*, Date*, IpAddress/NotIpAddress, BinaryEquals, their
//     IfExists variants and the ForAnyValue:/ForAllValues: set qualifiers.
//     Condition keys are case-insensitive; aws:PrincipalAccount and
//     aws:PrincipalArn are filled from Request.Principal unless the caller set
//     them. Policy variables (${aws:username}) are not expanded.
//   - Fail closed: a condition wharf cannot evaluate (an operator it does not
//     know, an unparsable number/date/IP) makes an Allow statement not apply
//     and a Deny statement apply. An unknown condition can therefore never
//     grant access and never remove a denial.
//
// # How wharf decides (Decide)
//
// Decide is IAM's evaluation logic over the two policy types wharf has:
// identity-based policies (ParseIdentity: no Principal, Resource required;
// attached to IAM users and roles) and resource-based policies (the domain's,
// the repository's, a role's trust policy). An explicit Deny anywhere wins.
// Within the resource owner's account an Allow in the identity's policies
// suffices, and so does a resource policy Allow that names the identity itself
// (user ARN, session ARN, the session's role ARN, or "*"); one naming only the
// account (12 digits or arn:aws:iam::ACCOUNT:root) delegates to the identity's
// own policies. Across accounts both sides must allow. The account root needs
// no identity policy. Global condition keys IAM derives from the principal
// (aws:PrincipalArn — the role's ARN for a session —, aws:PrincipalAccount,
// aws:PrincipalOrgID, aws:PrincipalTag/*, aws:PrincipalType, aws:username,
// aws:userid) and aws:SourceIp are filled by Decide and cannot be set by the
// request context.
//
// CodeArtifact consults the domain policy for every operation on the domain and
// on everything inside it, and for repository-scoped operations also the
// repository's policy; package-level actions are decided on the package's own
// ARN. Callers must not consult the domain policy for
// PutDomainPermissionsPolicy, nor the repository policy for
// PutRepositoryPermissionsPolicy (AWS ignores them there so an owner cannot
// lock itself out).
//
// Trusts decides AssumeRoleWithWebIdentity, where the caller is a web identity
// (a Federated principal) with no identity policies: the trust policy alone.
//
// Merge and Allowed are the older account-is-administrator rule, kept for
// callers that have no identities to consult.
package policy
