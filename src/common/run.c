/* Helper programs through posix_spawn: no shell, no fork of a threaded
 * process's memory, every argument exactly as given. */
#include "common/run.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/err.h"

extern char **environ;

/* posix_spawn's argv is char *const[] for history's sake; it does not
 * write to the strings. */
static char *const *spawn_argv(const char *const argv[])
{
	union { const char *const *in; char *const *out; } u = { .in = argv };

	return u.out;
}

#define RUN_STDERR_MAX 4096	/* what is kept of a helper's complaint */

/* The last non-empty line of text (len bytes), into out. */
static void last_line(char *text, size_t len, char *out, size_t outlen)
{
	char *end = text + len, *start;

	while (end > text && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	*end = '\0';
	start = end;
	while (start > text && start[-1] != '\n')
		start--;
	/* Cut to outlen - 1 bytes on purpose: a reason, not a transcript. */
	len = (size_t)(end - start) < outlen ? (size_t)(end - start) : outlen - 1;
	memcpy(out, start, len);
	out[len] = '\0';
}

int mg_run(const char *const argv[], char *err, size_t errlen)
{
	char text[RUN_STDERR_MAX + 1], why[512] = "";
	posix_spawn_file_actions_t fa;
	size_t len = 0;
	int pipefd[2], status, rc;
	pid_t pid;
	ssize_t n;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (pipe2(pipefd, O_CLOEXEC) != 0)
		return MG_ERR_IO;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, spawn_argv(argv), environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (rc != 0) {
		close(pipefd[0]);
		snprintf(err, errlen, "cannot run %s: %s", argv[0], strerror(rc));
		return MG_ERR_IO;
	}
	/* Keep the tail: the reason is usually the last thing said. */
	while ((n = read(pipefd[0], text + len, RUN_STDERR_MAX - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		len += (size_t)n;
		if (len == RUN_STDERR_MAX) {
			memmove(text, text + RUN_STDERR_MAX / 2, RUN_STDERR_MAX / 2);
			len = RUN_STDERR_MAX / 2;
		}
	}
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return MG_ERR_IO;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	text[len] = '\0';
	last_line(text, len, why, sizeof(why));
	if (WIFEXITED(status))
		snprintf(err, errlen, "%s exited with status %d%s%s", argv[0], WEXITSTATUS(status),
			 why[0] ? ": " : "", why);
	else
		snprintf(err, errlen, "%s was killed by signal %d", argv[0],
			 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return MG_ERR_IO;
}

int mg_run_start(const char *const argv[], const char *log_path, pid_t *pid_out)
{
	posix_spawn_file_actions_t fa;
	const char *out = log_path != NULL ? log_path : "/dev/null";
	int rc;

	*pid_out = -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_APPEND, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	rc = posix_spawnp(pid_out, argv[0], &fa, NULL, spawn_argv(argv), environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		errno = rc;
		*pid_out = -1;
		return MG_ERR_IO;
	}
	return 0;
}
