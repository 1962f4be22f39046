// The reference SPA: a developer signs up, logs in, browses the catalog, creates an
// application, registers it for a service version, generates a key, and sees the
// registration's status change live when an admin decides.
//
// The token lives in this page's memory only (a reload logs out): nothing in
// localStorage for another script to read. All text from the API goes into the page
// as text (textContent), never as HTML.
import { API_URL } from "./config.js";
import { GraphQLClient } from "./graphql.js";

const api = new GraphQLClient(API_URL);
const $ = (selector) => document.querySelector(selector);

const SIGN_UP = `mutation SignUp($input: SignUpInput!) { signUp(input: $input) }`;
const LOG_IN = `mutation LogIn($email: String!, $password: String!) {
  logIn(email: $email, password: $password) { token account { ... on Developer { email fullName } } }
}`;
const LOG_OUT = `mutation LogOut { logOut }`;
const CATALOG = `query Catalog {
  catalog(first: 50) { nodes { id slug name description
    versions { id name appRegistrationEnabled } } }
}`;
const APPLICATIONS = `query MyApplications {
  myApplications(first: 50) { nodes { id name referenceId
    registrations { id status serviceVersion { id name service { name } } } } }
}`;
const CREATE_APPLICATION = `mutation CreateApplication($input: ApplicationInput!) {
  createApplication(input: $input) { id }
}`;
const REGISTER = `mutation Register($applicationId: ID!, $serviceVersionId: ID!) {
  registerApplication(applicationId: $applicationId, serviceVersionId: $serviceVersionId) { id status }
}`;
const GENERATE_KEY = `mutation GenerateKey($applicationId: ID!) {
  generateCredential(applicationId: $applicationId) { key credential { keyPrefix } }
}`;
const REGISTRATION_EVENTS = `subscription RegistrationEvents {
  registrationEvents { kind registration { id status } }
}`;

const state = { catalog: [], applications: [], keys: new Map(), stopLive: null };

function notify(text, isError = false) {
  $("#notice").textContent = text;
  $("#notice").classList.toggle("error", isError);
}

function element(tag, { dataset = {}, ...properties } = {}, ...children) {
  const node = Object.assign(document.createElement(tag), properties);
  Object.assign(node.dataset, dataset);
  node.append(...children);
  return node;
}

// Runs an action from a form or button, showing its error instead of throwing.
async function attempt(action) {
  try {
    await action();
  } catch (error) {
    notify(error.message, true);
  }
}

function formValues(form) {
  return Object.fromEntries(new FormData(form).entries());
}

async function signUp(event) {
  event.preventDefault();
  const input = formValues(event.target);
  await api.request(SIGN_UP, { input });
  event.target.reset();
  notify(`Check ${input.email}: a link there confirms your address. An administrator then approves your account.`);
}

async function logIn(event) {
  event.preventDefault();
  const { email, password } = formValues(event.target);
  const { logIn: session } = await api.request(LOG_IN, { email, password });
  api.token = session.token;
  event.target.reset();
  notify("");
  $("#who").textContent = `${session.account.fullName} (${session.account.email})`;
  for (const id of ["#who", "#log-out", "#signed-in"]) $(id).hidden = false;
  $("#signed-out").hidden = true;
  state.stopLive = api.subscribe(REGISTRATION_EVENTS, {}, {
    onData: ({ registrationEvents }) => updateRegistration(registrationEvents.registration),
    onError: (error) => notify(`Live updates stopped: ${error.message}`, true),
    onReconnect: () => attempt(loadApplications),
  });
  await Promise.all([loadCatalog(), loadApplications()]);
}

async function logOut() {
  if (state.stopLive) state.stopLive();
  await api.request(LOG_OUT).catch(() => null);
  api.token = null;
  state.keys.clear();
  for (const id of ["#who", "#log-out", "#signed-in"]) $(id).hidden = true;
  $("#signed-out").hidden = false;
  notify("You are logged out.");
}

async function loadCatalog() {
  state.catalog = (await api.request(CATALOG)).catalog.nodes;
  $("#catalog").replaceChildren(
    ...state.catalog.map((service) =>
      element(
        "li",
        {},
        element("strong", { textContent: service.name }),
        ` (${service.slug}): ${service.description} `,
        element("span", {
          textContent: `Versions: ${service.versions.map((version) => version.name).join(", ")}`,
        }),
      ),
    ),
  );
  renderApplications();
}

async function loadApplications() {
  state.applications = (await api.request(APPLICATIONS)).myApplications.nodes;
  renderApplications();
}

function updateRegistration(changed) {
  for (const application of state.applications) {
    for (const registration of application.registrations) {
      if (registration.id === changed.id) registration.status = changed.status;
    }
  }
  renderApplications();
}

function registrableVersions() {
  return state.catalog.flatMap((service) =>
    service.versions
      .filter((version) => version.appRegistrationEnabled)
      .map((version) => ({ id: version.id, label: `${service.name} ${version.name}` })),
  );
}

function renderApplication(application) {
  const registrations = application.registrations.map((registration) =>
    element(
      "li",
      { className: "registration" },
      `${registration.serviceVersion.service.name} ${registration.serviceVersion.name}: `,
      element("span", {
        className: "status",
        textContent: registration.status,
        dataset: { status: registration.status, registration: registration.id },
      }),
    ),
  );
  const versions = element(
    "select",
    { name: "version", ariaLabel: `Service version for ${application.name}` },
    ...registrableVersions().map(({ id, label }) => element("option", { value: id, textContent: label })),
  );
  const register = element("button", { type: "button", textContent: "Register" });
  register.addEventListener("click", () =>
    attempt(async () => {
      await api.request(REGISTER, { applicationId: application.id, serviceVersionId: versions.value });
      await loadApplications();
    }),
  );
  const generate = element("button", { type: "button", textContent: "Generate key" });
  generate.addEventListener("click", () =>
    attempt(async () => {
      const { generateCredential } = await api.request(GENERATE_KEY, { applicationId: application.id });
      state.keys.set(application.id, generateCredential.key);
      renderApplications();
    }),
  );
  const key = state.keys.get(application.id);
  return element(
    "li",
    { className: "application", dataset: { application: application.id } },
    element("strong", { textContent: application.name }),
    ` (${application.referenceId})`,
    element("ul", {}, ...registrations),
    element("div", { className: "row" }, versions, register, generate),
    key
      ? element("p", {}, "Your new key, shown this once: ", element("code", { className: "key", textContent: key }))
      : "",
  );
}

function renderApplications() {
  $("#applications").replaceChildren(...state.applications.map(renderApplication));
}

async function createApplication(event) {
  event.preventDefault();
  await api.request(CREATE_APPLICATION, { input: formValues(event.target) });
  event.target.reset();
  await loadApplications();
}

$("#sign-up").addEventListener("submit", (event) => attempt(() => signUp(event)));
$("#log-in").addEventListener("submit", (event) => attempt(() => logIn(event)));
$("#new-application").addEventListener("submit", (event) => attempt(() => createApplication(event)));
$("#log-out").addEventListener("click", () => attempt(logOut));
