<?php
// This file is part of the Stream Portal companion plugin for Moodle - https://moodle.org/
// GNU GPL v3 or later.

/**
 * The submission plugin: shows the portal's player and upload link inside the assignment.
 *
 * @package    assignsubmission_streamportal
 * @copyright  2026 Stream Portal
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

use assignsubmission_streamportal\embed;

/**
 * Stream Portal video submissions. The video itself never passes through Moodle: students upload
 * in the portal, the portal records the video here through the web service, and Moodle shows the
 * portal's player.
 */
class assign_submission_streamportal extends assign_submission_plugin {

    /** Default maximum length of a video, minutes. */
    const DEFAULT_MAXMINUTES = 30;

    /** Default maximum size of a video, bytes (5 GiB). */
    const DEFAULT_MAXBYTES = 5368709120;

    /**
     * Name shown in the assignment settings.
     *
     * @return string
     */
    public function get_name() {
        return get_string('pluginname', 'assignsubmission_streamportal');
    }

    /**
     * Limits the portal enforces, stored as plugin config (the portal reads them through
     * mod_assign_get_assignments' configs).
     *
     * @param MoodleQuickForm $mform
     */
    public function get_settings(MoodleQuickForm $mform) {
        $mform->addElement('text', 'assignsubmission_streamportal_maxminutes',
            get_string('maxminutes', 'assignsubmission_streamportal'));
        $mform->setType('assignsubmission_streamportal_maxminutes', PARAM_INT);
        $mform->setDefault('assignsubmission_streamportal_maxminutes',
            $this->get_config('maxminutes') ?: self::DEFAULT_MAXMINUTES);
        $mform->hideIf('assignsubmission_streamportal_maxminutes', 'assignsubmission_streamportal_enabled',
            'notchecked');
        $mform->addElement('text', 'assignsubmission_streamportal_maxbytes',
            get_string('maxbytes', 'assignsubmission_streamportal'));
        $mform->setType('assignsubmission_streamportal_maxbytes', PARAM_INT);
        $mform->setDefault('assignsubmission_streamportal_maxbytes',
            $this->get_config('maxbytes') ?: self::DEFAULT_MAXBYTES);
        $mform->hideIf('assignsubmission_streamportal_maxbytes', 'assignsubmission_streamportal_enabled',
            'notchecked');
    }

    /**
     * Save the limits.
     *
     * @param stdClass $data
     * @return bool
     */
    public function save_settings(stdClass $data) {
        $minutes = (int)($data->assignsubmission_streamportal_maxminutes ?? self::DEFAULT_MAXMINUTES);
        $bytes = (int)($data->assignsubmission_streamportal_maxbytes ?? self::DEFAULT_MAXBYTES);
        $this->set_config('maxminutes', max(1, $minutes));
        $this->set_config('maxbytes', max(1, $bytes));
        return true;
    }

    /**
     * The settings mod_assign_get_assignments returns to web-service clients: the portal reads
     * "enabled", "maxbytes" and "maxminutes" from there.
     *
     * @return array
     */
    public function get_config_for_external() {
        return (array)$this->get_config();
    }

    /**
     * Above the submission status on the assignment page: the student's way to the portal.
     *
     * @return string
     */
    public function view_header() {
        global $USER;
        $context = $this->assignment->get_context();
        $cmid = (int)$this->assignment->get_course_module()->id;
        $grader = has_capability('mod/assign:grade', $context);
        if (!$grader && !has_capability('mod/assign:submit', $context)) {
            return '';
        }
        // The signed sign-in link, for the user signed in here (students and graders alike); without
        // the shared secret, the plain link (the portal then signs in through OAuth2, Moodle 4.5+).
        $url = embed::launch_url((int)$USER->id, $cmid);
        if (!$url && !$grader) {
            $url = embed::upload_url($cmid);
        }
        if (!$url) {
            return '';
        }
        $label = 'openportal';
        if (!$grader) {
            $submission = $this->assignment->get_user_submission($USER->id, false);
            $label = $submission && $this->get_video($submission) ? 'openinportal' : 'uploadinportal';
        }
        return html_writer::div(html_writer::link($url, get_string($label, 'assignsubmission_streamportal'),
            ['class' => 'btn btn-primary', 'target' => '_blank', 'rel' => 'noopener noreferrer']),
            'assignsubmission_streamportal_link mb-3');
    }

    /**
     * The student's "edit submission" form: a link to the portal instead of a file picker.
     *
     * @param mixed $submission
     * @param MoodleQuickForm $mform
     * @param stdClass $data
     * @return bool
     */
    public function get_form_elements($submission, MoodleQuickForm $mform, stdClass $data) {
        $url = embed::upload_url((int)$this->assignment->get_course_module()->id);
        if ($url) {
            $link = html_writer::link($url, get_string('uploadinportal', 'assignsubmission_streamportal'),
                ['target' => '_blank', 'rel' => 'noopener']);
            $mform->addElement('static', 'streamportal_link', $this->get_name(), $link);
        }
        return true;
    }

    /**
     * The newest video of a submission.
     *
     * @param stdClass $submission
     * @return stdClass|false
     */
    protected function get_video(stdClass $submission) {
        global $DB;
        if (empty($submission->id)) {
            return false;
        }
        $records = $DB->get_records('assignsubmission_streamportal',
            ['assignment' => $this->assignment->get_instance()->id, 'submission' => $submission->id],
            'timemodified DESC, id DESC', '*', 0, 1);
        return reset($records);
    }

    /**
     * Called by the record_video web service after it stored a record: logs Moodle's usual
     * submission_created / submission_updated events for this plugin.
     *
     * @param stdClass $submission
     * @param stdClass $record
     * @param bool $created
     */
    public function video_recorded(stdClass $submission, stdClass $record, bool $created) {
        $params = [
            'context' => $this->assignment->get_context(),
            'courseid' => $this->assignment->get_course()->id,
            'objectid' => $record->id,
            'relateduserid' => $record->userid,
            'other' => [
                'submissionid' => $submission->id,
                'submissionattempt' => $submission->attemptnumber,
                'submissionstatus' => $submission->status,
                'streamuid' => $record->streamuid,
            ],
        ];
        if ($this->assignment->is_blind_marking()) {
            $params['anonymous'] = 1;
        }
        $event = $created ? \assignsubmission_streamportal\event\submission_created::create($params)
            : \assignsubmission_streamportal\event\submission_updated::create($params);
        $event->set_assign($this->assignment);
        $event->trigger();
    }

    /**
     * The summary in the grading table and on the submission status page.
     *
     * @param stdClass $submission
     * @param bool $showviewlink
     * @return string
     */
    public function view_summary(stdClass $submission, & $showviewlink) {
        $video = $this->get_video($submission);
        if (!$video) {
            return '';
        }
        $text = get_string('status_' . $video->status, 'assignsubmission_streamportal');
        if ($video->durationseconds > 0) {
            $text .= ' · ' . format_time((int)round($video->durationseconds));
        }
        if (in_array($video->status, ['deleted', 'expired'])) {
            return $text;
        }
        $showviewlink = true;    // The player is in the full view.
        if ($video->status === 'error' && $this->may_upload($submission)) {
            $url = embed::upload_url((int)$this->assignment->get_course_module()->id);
            if ($url) {
                $text .= ' ' . html_writer::link($url, get_string('uploadagain', 'assignsubmission_streamportal'));
            }
        }
        return $text;
    }

    /**
     * Whether the current user is the student who owns a submission and may still submit.
     *
     * @param stdClass $submission
     * @return bool
     */
    protected function may_upload(stdClass $submission): bool {
        global $USER;
        return $submission->userid == $USER->id && has_capability('mod/assign:submit', $this->assignment->get_context());
    }

    /**
     * The full view (grader, "view submission"): the portal's player, signed for this viewer.
     * Only the student who owns the submission and graders get a link; the portal checks the
     * viewer's rights again before it mints a Stream token.
     *
     * @param stdClass $submission
     * @return string
     */
    public function view(stdClass $submission) {
        global $USER;
        $video = $this->get_video($submission);
        if (!$video) {
            return '';
        }
        if (in_array($video->status, ['deleted', 'expired'])) {
            return get_string('status_' . $video->status, 'assignsubmission_streamportal');
        }
        $context = $this->assignment->get_context();
        if ($USER->id != $video->userid && !has_capability('mod/assign:grade', $context)) {
            return '';
        }
        $url = embed::url($video->streamuid, (int)$USER->id, (int)$this->assignment->get_course_module()->id);
        if (!$url) {
            return get_string('notconfigured', 'assignsubmission_streamportal');
        }
        return html_writer::tag('iframe', '', ['src' => $url->out(false), 'width' => '100%', 'height' => '480',
            'class' => 'assignsubmission_streamportal_player', 'style' => 'border: 0; aspect-ratio: 16 / 9; height: auto;',
            'allow' => 'autoplay; fullscreen; picture-in-picture', 'allowfullscreen' => 'allowfullscreen',
            'loading' => 'lazy', 'referrerpolicy' => 'no-referrer',
            'title' => get_string('player', 'assignsubmission_streamportal')]);
    }

    /**
     * A submission is empty until the portal records a video for it.
     *
     * @param stdClass $submission
     * @return bool
     */
    public function is_empty(stdClass $submission) {
        return !$this->get_video($submission);
    }

    /**
     * Moodle's own submission form carries no video: only the portal records one.
     *
     * @param stdClass $data
     * @return bool
     */
    public function submission_is_empty(stdClass $data) {
        return true;
    }

    /**
     * "Remove submission": forget the records of this attempt (the video at Stream is the
     * portal's to delete).
     *
     * @param stdClass $submission
     * @return bool
     */
    public function remove(stdClass $submission) {
        global $DB;
        $DB->delete_records('assignsubmission_streamportal',
            ['assignment' => $this->assignment->get_instance()->id, 'submission' => $submission->id]);
        return true;
    }

    /**
     * Remove the records when the assignment is deleted (the videos are deleted at Stream by the
     * portal's retention job).
     *
     * @return bool
     */
    public function delete_instance() {
        global $DB;
        $DB->delete_records('assignsubmission_streamportal', ['assignment' => $this->assignment->get_instance()->id]);
        return true;
    }
}
