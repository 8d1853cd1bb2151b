//go:build tools

// Package kubeapiserver pins the Kubernetes API server the kubernetes family is certified
// against, and kine, the etcd-API shim that stores its objects in SQLite so no etcd is needed.
// Built by install/kubernetes.sh; never compiled as part of a program (the build tag).
package kubeapiserver

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
