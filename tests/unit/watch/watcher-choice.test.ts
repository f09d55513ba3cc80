import { describe, expect, it } from 'vitest';
import { directoryWatcherFactory } from '../../../main/watch/directory-watcher.js';
import { chokidarWatcherFactory } from '../../../main/watch/folder-watcher.js';
import {
  DIRECTORY_WATCHER_MIN_FILES,
  chooseWatcher,
  watcherFactoryOf,
} from '../../../main/watch/watcher-choice.js';

describe('chooseWatcher', () => {
  it('uses the directory watcher on Linux whatever the size, unless the folder polls', () => {
    expect(chooseWatcher({ polling: false, knownFiles: 0 }, { platform: 'linux' })).toBe(
      'directory',
    );
    expect(chooseWatcher({ polling: true, knownFiles: 500_000 }, { platform: 'linux' })).toBe(
      'chokidar',
    );
  });

  it('elsewhere keeps chokidar until the folder holds more than the threshold', () => {
    for (const platform of ['darwin', 'win32'] as const) {
      const at = (knownFiles: number): string =>
        chooseWatcher({ polling: false, knownFiles }, { platform });
      expect(at(0)).toBe('chokidar');
      expect(at(DIRECTORY_WATCHER_MIN_FILES)).toBe('chokidar');
      expect(at(DIRECTORY_WATCHER_MIN_FILES + 1)).toBe('directory');
      expect(
        chooseWatcher({ polling: false, knownFiles: 3 }, { platform, directoryMinFiles: 2 }),
      ).toBe('directory');
      expect(chooseWatcher({ polling: true, knownFiles: 500_000 }, { platform })).toBe('chokidar');
    }
  });

  it('maps each kind to its factory', () => {
    expect(watcherFactoryOf('directory')).toBe(directoryWatcherFactory);
    expect(watcherFactoryOf('chokidar')).toBe(chokidarWatcherFactory);
  });
});
