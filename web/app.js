// The page's views and its hash routes: #/ (submit), #/jobs (recent), #/jobs/<id> (one job,
// a URL to share or reload). Hash routes keep the document at one URL, so relative API
// paths resolve under any path prefix a proxy adds.
import { apiKey, json, onUnauthorized, setApiKey } from './api.js';
import { SubmitForm } from './submit.js';
import { JobPage } from './job.js';
import { JobList } from './jobs.js';

const $ = (id) => document.getElementById(id);
const views = ['key-view', 'submit-view', 'job-view', 'jobs-view'];
const show = (view) => { for (const v of views) $(v).hidden = v !== view; };
const notice = (text) => { $('notice').textContent = text || ''; $('notice').hidden = !text; };

const jobPage = new JobPage();
const jobList = new JobList($('jobs-list'), $('jobs-more'));
let inputs = new Map();
new SubmitForm((job, inputURL) => {
  if (inputURL) inputs.set(job.id, inputURL);
  location.hash = `#/jobs/${encodeURIComponent(job.id)}`;
});

let askingKey = false;
onUnauthorized(() => {
  askingKey = true;
  jobPage.close();
  notice(apiKey() ? 'The service refused this API key.' : '');
  show('key-view');
  $('api-key').focus();
});
$('key-form').addEventListener('submit', (e) => {
  e.preventDefault();
  setApiKey($('api-key').value.trim());
  $('api-key').value = '';
  askingKey = false;
  notice('');
  route();
});

async function route() {
  if (askingKey) return;
  notice('');
  const hash = location.hash.replace(/^#/, '') || '/';
  const job = hash.match(/^\/jobs\/([a-z2-7]{26})$/);
  if (job) {
    show('job-view');
    await jobPage.open(job[1], inputs.get(job[1]));
  } else if (hash === '/jobs') {
    jobPage.close();
    show('jobs-view');
    try { await jobList.load(); } catch (e) { if (!askingKey) notice(e.message); }
  } else {
    jobPage.close();
    show('submit-view');
  }
}

window.addEventListener('hashchange', route);
// One cheap call first: a service with an API key answers 401, and the key is asked for
// before anything else rather than at the first submit.
(async () => {
  try { await json('v1/jobs?limit=1'); } catch { /* a 401 has shown the key form */ }
  route();
})();
