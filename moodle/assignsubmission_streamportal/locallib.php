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
 * Stream Portal video submissions. The video itself never passes through Moodle.
 */
class assign_submission_streamportal extends assign_submission_plugin {

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
        $mform->setDefault('assignsubmission_streamportal_maxminutes', $this->get_config('maxminutes') ?: 30);
        $mform->hideIf('assignsubmission_streamportal_maxminutes', 'assignsubmission_streamportal_enabled',
            'notchecked');
        $mform->addElement('text', 'assignsubmission_streamportal_maxbytes',
            get_string('maxbytes', 'assignsubmission_streamportal'));
        $mform->setType('assignsubmission_streamportal_maxbytes', PARAM_INT);
        $mform->setDefault('assignsubmission_streamportal_maxbytes', $this->get_config('maxbytes') ?: 5368709120);
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
        $this->set_config('maxminutes', max(1, (int)($data->assignsubmission_streamportal_maxminutes ?? 30)));
        $this->set_config('maxbytes', max(1, (int)($data->assignsubmission_streamportal_maxbytes ?? 5368709120)));
        return true;
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
        $url = embed::upload_url($this->assignment->get_course_module()->id);
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
        $records = $DB->get_records('assignsubmission_streamportal',
            ['assignment' => $this->assignment->get_instance()->id, 'submission' => $submission->id],
            'timemodified DESC', '*', 0, 1);
        return reset($records);
    }

    /**
     * The summary in the grading table and on the student's status page.
     *
     * @param stdClass $submission
     * @param bool $showviewlink
     * @return string
     */
    public function view_summary(stdClass $submission, & $showviewlink) {
        $video = $this->get_video($submission);
        if (!$video) {
            $url = embed::upload_url($this->assignment->get_course_module()->id);
            return $url ? html_writer::link($url, get_string('uploadinportal', 'assignsubmission_streamportal')) : '';
        }
        $showviewlink = true;
        $minutes = $video->durationseconds > 0 ? format_time((int)round($video->durationseconds)) : '';
        return get_string('status_' . $video->status, 'assignsubmission_streamportal') .
            ($minutes ? ' · ' . $minutes : '');
    }

    /**
     * The full view in the grader: the portal's player, signed for this viewer.
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
            return get_string('removedafterretention', 'assignsubmission_streamportal');
        }
        $context = $this->assignment->get_context();
        if ($USER->id != $submission->userid && !has_capability('mod/assign:grade', $context)) {
            return '';
        }
        $url = embed::url($video->streamuid, (int)$USER->id, (int)$this->assignment->get_course_module()->id);
        if (!$url) {
            return get_string('notconfigured', 'assignsubmission_streamportal');
        }
        return html_writer::tag('iframe', '', ['src' => $url->out(false), 'width' => '100%', 'height' => '480',
            'allow' => 'autoplay; fullscreen; picture-in-picture', 'allowfullscreen' => 'allowfullscreen',
            'loading' => 'lazy', 'title' => get_string('player', 'assignsubmission_streamportal')]);
    }

    /**
     * No submission data of its own in Moodle's tables beyond the record.
     *
     * @param stdClass $submission
     * @return bool
     */
    public function is_empty(stdClass $submission) {
        return !$this->get_video($submission);
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
