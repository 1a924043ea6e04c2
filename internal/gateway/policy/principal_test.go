package policy

import "testing"

// An account principal (its root ARN or a bare account id) stands for every
// principal of the account, as in IAM; an anonymous caller matches only "*".
func TestPrincipalAccount(t *testing.T) {
	const byRoot = `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"execute-api:Invoke","Resource":"execute-api:/*"}]}`
	const byID = `{"Statement":[{"Effect":"Allow","Principal":{"AWS":["111122223333"]},"Action":"execute-api:Invoke","Resource":"execute-api:/*"}]}`
	const byUser = `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"execute-api:Invoke","Resource":"execute-api:/*"}]}`
	for _, tt := range []struct {
		name, policy, principal string
		want                    Decision
	}{
		{"root names the root", byRoot, "arn:aws:iam::111122223333:root", Allow},
		{"root names a user of the account", byRoot, "arn:aws:iam::111122223333:user/bob", Allow},
		{"root names an assumed role of the account", byRoot, "arn:aws:sts::111122223333:assumed-role/r/s", Allow},
		{"root of another account", byRoot, "arn:aws:iam::444455556666:root", ImplicitDeny},
		{"anonymous", byRoot, "", ImplicitDeny},
		{"account id", byID, "arn:aws:iam::111122223333:user/bob", Allow},
		{"user names only the user", byUser, "arn:aws:iam::111122223333:user/bob", ImplicitDeny},
		{"user", byUser, "arn:aws:iam::111122223333:user/alice", Allow},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.policy)
			if err != nil {
				t.Fatal(err)
			}
			r := req("prod", "GET", "x", nil)
			r.Principal = tt.principal
			if got := p.Bind(apiARN).Evaluate(r); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
