// Entry of the researcher app bundle (client/dist-admin/admin.js): registers its elements.
import './admin-app.ts';
import './studies-view.ts';
import './monitor-view.ts';
import './results-view.ts';
import './accounts-view.ts';
