package app

import (
	"encoding/json"
	"net/http"

	"github.com/wharf-dev/wharf/internal/endpoints"
	"github.com/wharf-dev/wharf/internal/service"
)

// packageRoutes serves the package endpoints /{domain}-{owner}/{format}/{repo}/...
func (a *App) packageRoutes(svc *service.Service, tokens endpoints.TokenValidator) http.Handler {
	notFound := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "not found: " + r.URL.Path})
	})
	rt := endpoints.NewRouter(svc, tokens, a.cfg.PublicURL, a.log, notFound)
	a.registerFormats(rt)
	return rt
}

// registerFormats installs each format's handler on the router.
func (a *App) registerFormats(rt *endpoints.Router) {
}
