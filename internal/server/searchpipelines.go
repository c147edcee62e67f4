package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// A search naming a stored OpenSearch search pipeline (?search_pipeline=)
// runs the pipeline's request processors in the cluster, with its rights: a
// filter_query holding a terms lookup, an indexed shape or a
// more_like_this of another index reads that index for the caller, whoever
// stored the pipeline and for whatever use. OpenSearch's security plugin
// runs those reads as the caller; the cluster behind the proxy does not. An
// inline pipeline is in the body, where readsBeyondItsIndices sees it; a
// stored one is read from the cluster and held to the same rule.

// reasonNamedSearchPipeline is why a search naming a stored pipeline that
// reads documents is refused.
const reasonNamedSearchPipeline = "the search pipeline [%s] reads documents by index and id (terms lookup, more_like_this, indexed shape…) " +
	"with the cluster's rights: naming it is not supported by the security proxy for this user"

// namedSearchPipelineRefusal refuses, for a user who may not read every
// index, a request naming a stored search pipeline that references other
// documents, or one the proxy cannot read (fail closed). "_none" names no
// pipeline; one the cluster does not have runs nothing.
func namedSearchPipelineRefusal(ctx context.Context, rs *Restrictions, az Authorizer, req authz.Request, c *esapi.Classification) *itemRefusal {
	name, ok := c.Params.Values["search_pipeline"]
	if !ok || name == "" || name == "_none" || mayReadEverything(az, req) {
		return nil
	}
	if rs == nil || rs.Cluster == nil {
		return forbidden(req, fmt.Sprintf(reasonNamedSearchPipeline, name)+" (the pipeline cannot be read)")
	}
	v, missing, err := storedSearchPipeline(ctx, rs.Cluster, name)
	switch {
	case missing:
		return nil // runs nothing: the cluster answers that it does not exist
	case err != nil:
		return forbidden(req, fmt.Sprintf(reasonNamedSearchPipeline, name)+fmt.Sprintf(" (the pipeline cannot be read: %v)", err))
	case referencesOtherDocuments(v):
		return forbidden(req, fmt.Sprintf(reasonNamedSearchPipeline, name))
	}
	return nil
}

// storedSearchPipeline reads a stored search pipeline's definition from
// the cluster; missing is true when the cluster has none by that name.
func storedSearchPipeline(ctx context.Context, cl Cluster, name string) (v esbody.Value, missing bool, err error) {
	path := "/_search/pipeline/" + url.PathEscape(name)
	resp, err := cl.Send(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, false, fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, true, nil
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxTemplatesAnswer+1))
	switch {
	case err != nil:
		return nil, false, fmt.Errorf("GET %s: %w", path, err)
	case resp.StatusCode != http.StatusOK:
		return nil, false, fmt.Errorf("GET %s: status %d", path, resp.StatusCode)
	case len(raw) > maxTemplatesAnswer:
		return nil, false, fmt.Errorf("GET %s: answer larger than %d bytes", path, maxTemplatesAnswer)
	}
	v, err = esbody.ParseJSON(raw)
	if err != nil {
		return nil, false, fmt.Errorf("GET %s: %w", path, err)
	}
	return v, false, nil
}
