import type { ConsolePage } from './console-page.js';
import { conflictsPage } from './pages/conflicts-page.js';
import { failedPage } from './pages/failed-page.js';
import { overviewPage } from './pages/overview-page.js';
import { policiesPage } from './pages/policies-page.js';
import { runsPage } from './pages/runs-page.js';
import { timelinePage } from './pages/timeline-page.js';

/** The console's pages, in navigation order. To add one, write src/console/pages/NAME-page.ts and list it here. */
export const CONSOLE_PAGES: readonly ConsolePage[] = [
  overviewPage,
  runsPage,
  conflictsPage,
  failedPage,
  timelinePage,
  policiesPage,
];
