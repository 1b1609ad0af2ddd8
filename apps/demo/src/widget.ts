/**
 * The embeddable widget's entry, built as `herald-feed.js`: one script tag defines `<herald-feed>`.
 *
 *   <script type="module" src="http://127.0.0.1:8080/herald-feed.js"></script>
 *   <herald-feed topic="demo.>"></herald-feed>
 */
import { HeraldFeedElement } from './herald-feed.js';

if (customElements.get('herald-feed') === undefined) customElements.define('herald-feed', HeraldFeedElement);

declare global {
  interface HTMLElementTagNameMap {
    'herald-feed': HeraldFeedElement;
  }
}
