// Where the portal's GraphQL API is. Served by `devportal serve --spa`, the app and
// the API share an origin. Hosted anywhere else, point this at the portal, and add
// this app's origin to the portal's DEVPORTAL_CORS_ORIGINS.
export const API_URL = new URL("/graphql", window.location.href).href;
