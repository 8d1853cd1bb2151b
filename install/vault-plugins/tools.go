//go:build tools

// Package vaultplugins pins the external Vault plugins a production-mode OpenBao is certified
// with. OpenBao 2.7 ships neither the LDAP nor the AWS auth method nor the AWS secrets engine in
// its binary, and its own plugin builds come from release pages and OCI registries that a run
// cannot reach. HashiCorp Vault v1.14.1 (the last MPL-2.0 release, the code base OpenBao forked)
// serves the three as Go packages; OpenBao runs plugins built for Vault.
//
// Built by install/vault-plugins.sh; never compiled as part of a program (the build tag).
package vaultplugins

import (
	_ "github.com/hashicorp/vault/builtin/credential/aws/cmd/aws"
	_ "github.com/hashicorp/vault/builtin/credential/ldap/cmd/ldap"
	_ "github.com/hashicorp/vault/builtin/logical/aws/cmd/aws"
)
