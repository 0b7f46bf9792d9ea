<?php
// This file is part of the Stream Portal companion plugin for Moodle - https://moodle.org/
// GNU GPL v3 or later.

/**
 * Backup of the video records (with user data only; the videos stay at Cloudflare Stream).
 *
 * @package    assignsubmission_streamportal
 * @copyright  2026 Stream Portal
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

/**
 * Adds the submission's video records to the backup.
 */
class backup_assignsubmission_streamportal_subplugin extends backup_subplugin {

    /**
     * The records of one submission.
     *
     * @return backup_subplugin_element
     */
    protected function define_submission_subplugin_structure() {
        $subplugin = $this->get_subplugin_element();
        $wrapper = new backup_nested_element($this->get_recommended_name());
        $video = new backup_nested_element('submission_streamportal', ['id'], [
            'submission', 'userid', 'streamuid', 'portalsubmissionid', 'status', 'durationseconds', 'sizebytes',
            'uploadedat', 'readyat', 'deleteafter', 'timecreated', 'timemodified']);
        $subplugin->add_child($wrapper);
        $wrapper->add_child($video);
        $video->set_source_table('assignsubmission_streamportal', ['submission' => backup::VAR_PARENTID]);
        $video->annotate_ids('user', 'userid');
        return $subplugin;
    }
}
