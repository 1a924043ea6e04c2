package gateway

import (
	"testing"

	"gatehouse/internal/model"
)

func TestExpandPolicy(t *testing.T) {
	env := model.Env{Region: "us-west-2", Account: "123456789012"}
	tests := []struct{ name, in, want string }{
		{"the walkthrough's policy",
			`{"Version": "2012-10-17", "Statement": [
			  {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"},
			  {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": ["execute-api:/*"],
			   "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}}]}`,
			`{"Version":"2012-10-17","Statement":[` +
				`{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:us-west-2:123456789012:abcdef1234/*"},` +
				`{"Effect":"Deny","Principal":"*","Action":"execute-api:Invoke","Resource":["arn:aws:execute-api:us-west-2:123456789012:abcdef1234/*"],` +
				`"Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}}]}`},
		{"a path keeps its suffix; NotResource too; a full ARN and * stay",
			`{"Statement":[{"NotResource":"execute-api:/prod/GET/pets/<id>","Resource":["*","arn:aws:execute-api:eu-west-1:1:x/*"]}]}`,
			`{"Statement":[{"NotResource":"arn:aws:execute-api:us-west-2:123456789012:abcdef1234/prod/GET/pets/<id>","Resource":["*","arn:aws:execute-api:eu-west-1:1:x/*"]}]}`},
		{"numbers, booleans and null as written",
			`{"Statement":[{"Condition":{"NumericLessThan":{"x":1.50}},"b":true,"n":null}]}`,
			`{"Statement":[{"Condition":{"NumericLessThan":{"x":1.50}},"b":true,"n":null}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ExpandPolicy(tc.in, env, "abcdef1234")
			if err != nil || got != tc.want {
				t.Fatalf("got %s, %v\nwant %s", got, err, tc.want)
			}
			again, err := ExpandPolicy(got, env, "abcdef1234")
			if err != nil || again != got {
				t.Fatalf("expanding again: got %s, %v; want it unchanged", again, err)
			}
		})
	}
}
